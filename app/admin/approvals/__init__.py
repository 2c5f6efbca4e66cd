"""Four eyes for power: actions one administrator may not take alone, and their approval."""
