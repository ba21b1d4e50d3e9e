"""ENI interoperability (NTI de Expediente / Documento Electrónico): export an expedient with its
signed index and documents, import one made by another system, and the foliated index PDF."""
