"""Programme specs (policy as data) and the batches (征集批次) opened from them."""
