import os
_d = os.path.dirname(__file__)
HAND = "\n".join(open(os.path.join(_d, f"hand{i}.txt")).read() for i in range(1, 7))
