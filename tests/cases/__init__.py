"""Tests of the cases domain."""
