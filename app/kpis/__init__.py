"""The analytics layer: what every scenario and program earned (definitions: docs/kpis.md)."""
