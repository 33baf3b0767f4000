"""Public output: the one gate through which published data leaves the system."""
