"""Live case events for the pages: the LISTEN hub and the Server-Sent Events stream."""
