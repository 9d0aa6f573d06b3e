"""Two-way assessment (双向考核): one score per whistle, scoreboards, 该吹未吹."""
