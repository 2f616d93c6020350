"""The bundled real data (bars, catalog, trading calendar), installed as ``huice.data``."""
