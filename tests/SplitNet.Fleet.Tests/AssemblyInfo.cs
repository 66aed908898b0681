// Each test starts a fleet of server processes: one fleet at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
