"""``python -m ogi_workflow`` is the ``ogi-workflow`` command."""

from ogi_workflow.cli import main

if __name__ == "__main__":
    main()
