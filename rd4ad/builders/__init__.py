"""What a run's record builds: its data splits and a ``random_calibrated`` teacher's calibration images
(``split``), and the model it trains (``model``: the suite's RD4AD from its knobs, or its ``model``
factory's). ``RunConfig`` (rd4ad/contract/run.py) states the run; these read it. torch and the data
load on first use, so planning may import this part.

Imports: ``rd4ad.files``, ``rd4ad.contract``, ``rd4ad.data``, ``rd4ad.models``.
"""
