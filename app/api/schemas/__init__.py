"""What the API reads from clients (typed JSON fields) and what it sends back (JSON values)."""
