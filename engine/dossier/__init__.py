"""The expedient as a whole: its page, the actions offered on it, closing with the foliated index, reopening."""
