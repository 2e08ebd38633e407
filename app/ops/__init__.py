"""Operations: health, metrics."""
