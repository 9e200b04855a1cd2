"""ddpm-kit plugin: a Hugging Face ``datasets`` dataset on local disk as the data source ``hf.dataset``."""
