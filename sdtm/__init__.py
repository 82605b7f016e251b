"""Raw EDC frames to SDTM: mapping algorithms, derivations, trial design domains, SDTM rules."""
