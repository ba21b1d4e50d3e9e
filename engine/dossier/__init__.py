"""The expedient as a whole: its page, the actions offered on it, closing with the foliated index, reopening;
and the municipality's audit trail as its administrators and secretary read it, who acted in words."""
