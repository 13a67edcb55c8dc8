"""Many candidates: drawing architectures of a space, training each as a job on
local processes or Ray, and writing the results to the evaluations store."""
