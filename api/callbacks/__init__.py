"""Call-backs (回访) of resolved hotline cases by the 12345 centre."""
