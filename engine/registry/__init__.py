"""The general registry (Ley 39/2015 art. 16): incoming and outgoing entries, receipts, the registry book,
and opening an expedient from an entry."""
