import glob
import os
import re

_d = os.path.dirname(__file__)
HAND = "\n".join(open(os.path.join(_d, f"hand{i}.txt")).read() for i in range(1, 7))
# Later batches (hand7.txt, hand8.txt, ...) are kept apart so that adding one leaves the rows
# built from the first six files and the templates exactly as they were.
LATER = [open(p).read() for p in sorted(glob.glob(os.path.join(_d, "hand*.txt")),
                                        key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
         if int(re.findall(r"\d+", os.path.basename(p))[0]) > 6]
