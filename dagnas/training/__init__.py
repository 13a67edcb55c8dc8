"""Training a network: retraining a derived architecture from scratch."""
