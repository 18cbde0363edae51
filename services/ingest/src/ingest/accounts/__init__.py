"""Connected accounts: the network accounts a tenant receives interactions for."""
