"""Semantic model and taint analysis of Robin flows."""
