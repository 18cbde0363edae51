"""Publishing accounts: the network accounts posts go out as, their credentials and queues."""
