"""Run the reference as a runner-protocol v1 adapter on stdin/stdout."""

from ._adapter import main

raise SystemExit(main())
