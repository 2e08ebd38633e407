"""What the district learns: consultation and case figures (rollups), early warnings, the three rates."""
