"""Documents: the content-addressed store, verification codes (CSV), PDF rendering, procedure templates and
signature checks of stored PDFs."""
