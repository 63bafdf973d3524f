"""Replayed learner answers, written from the lesson text alone."""
