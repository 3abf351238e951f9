"""Test harness: the layers under Pulumi mocks, alone or chained through StackReferences."""
