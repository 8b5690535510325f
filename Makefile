# The two commands of the README.
.PHONY: demo test setup data

setup:
	bash scripts/setup.sh

# 1. set up, build the default data, run the main job on the 太仆寺旗 2024 default, serve it.
demo: setup
	.venv/bin/geo-enroll demo

# 2. set up and run the whole test suite (what .ci/run calls).
test: setup
	.venv/bin/python -m pytest -q -rs
	# the address parser again as pure Python (the reference its compiled twin must equal)
	GEO_ENROLL_NO_EXT=1 .venv/bin/python -m pytest -q -rs -p no:randomly tests/address geo_enroll/address

# Rebuild the committed data products in data/boundaries/.
data: setup
	.venv/bin/geo-enroll demo --build-only
