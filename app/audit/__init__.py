"""Security audit log: the record function every package calls, and the event names."""
