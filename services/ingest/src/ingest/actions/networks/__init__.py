"""One client per network, each speaking that network's documented API."""
