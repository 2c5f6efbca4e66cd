"""The demo investigation: fictional content modelled on a real situation (`flask demo load`)."""
