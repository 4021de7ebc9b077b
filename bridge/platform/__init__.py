"""What any part of the bridge stands on: logging and secrets, systemd, atomic files, backoff."""
