"""SDTM to ADaM: ADSL, ADTTE and other BDS datasets, date imputation, ADaM rules."""
