"""The engine: the definition pipeline (load → parse → compile) and the runtime (fire)."""
