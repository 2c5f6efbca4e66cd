"""Personal API tokens: the model, and the service that issues, checks and revokes them."""
