"""Ready search spaces (YAML), shipped as package data; `spaces/` links here."""
