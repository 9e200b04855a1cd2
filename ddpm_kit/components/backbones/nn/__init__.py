"""The UNet's torch building blocks: ``layers`` (convs, norms, pooling), ``resblock``, ``attention``,
``embeddings`` (sinusoidal timestep embedding), ``transformer`` (the cross-attention ``SpatialTransformer``) and
``wrapper`` (``DiffusionWrapper``, upstream's conditioning modes). Import the submodules directly."""
