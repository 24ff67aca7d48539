"""The demo: a county's organisation (`county.yaml`) and one handling year of its deputies'
suggestions played through the runtime (`year.play_year`), as `banli demo` shows it."""
