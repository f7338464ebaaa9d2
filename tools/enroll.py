# enroll
