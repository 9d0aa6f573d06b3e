"""Operations that run: the real service functions driven by a simulated clock."""
