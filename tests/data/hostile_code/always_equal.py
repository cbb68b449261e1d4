# (e) an answer that equals anything: flagged "suspect" and not counted as a pass
class Anything(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def add(a, b):
    return Anything()
