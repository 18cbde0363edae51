"""Bad buzz: a brand's negative comments or mention volume spiking against its own baseline."""
