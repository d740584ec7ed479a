"""The demo program: a realistic, seeded network of dealers, audited over two waves."""
