"""Each brand's own policy, learnt from its moderators' decisions (and imported labels) by a small
linear model on top of the shared classifier's features."""
