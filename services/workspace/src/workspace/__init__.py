"""The workspace service: an organization's people, invitations and keys, managed over REST."""
