"""The brand's own messages in their threads: replies sent from the inbox, the outcomes of every
reply sent through Beacon, and the replies made natively on the networks."""
