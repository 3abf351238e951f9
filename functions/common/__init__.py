"""Code shared by the four functions; packaged beside each of them in its Lambda archive."""
