"""Local development stack: the embedded broker, a mail catcher and all services in one command."""
